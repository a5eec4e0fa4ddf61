// A small API: /health for the healthcheck, / answers with what it sees of the database.
import http from 'node:http';

const port = Number(process.env.PORT || 3000);
const db = `http://${process.env.DB_HOST || 'db'}:5432/ping`;

http
  .createServer(async (req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    try {
      const answer = await fetch(db).then((r) => r.text());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ node: process.version, db: answer.trim() })}\n`);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ error: String(error) })}\n`);
    }
  })
  .listen(port, () => console.log(`listening on ${port}`));
