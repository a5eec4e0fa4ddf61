import type { YamlPath } from './path.js';

/** Something the user should know that does not stop the load. The CLI prints each once. */
export interface Warning {
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** In the user's words (`services.web.gpus`) or as segments, which the planner formats. */
  path?: string | YamlPath;
}
