// The spec's "Verifying Callbacks (Node.js)" function, verbatim, run on what the router sent.
// Usage: node verify_callback.mjs <apiSecret> <callback.json>  where callback.json = {headers, body(raw string)}
// Prints "true" or "false". req.body is the parsed JSON, as express.json() would give it.
import crypto from 'node:crypto';
import fs from 'node:fs';

function verifyCallback(req, apiSecret) {
  const timestamp = req.headers['x-timestamp'];
  const signature = req.headers['x-signature'];
  const bodyStr = JSON.stringify(req.body);

  const expected = crypto
    .createHmac('sha256', apiSecret)
    .update(timestamp + '.' + bodyStr)
    .digest('hex');

  const sigBuf = Buffer.from(signature, 'hex');
  const expBuf = Buffer.from(expected, 'hex');

  return sigBuf.length === expBuf.length
    && crypto.timingSafeEqual(sigBuf, expBuf);
}

const [apiSecret, file] = process.argv.slice(2);
const received = JSON.parse(fs.readFileSync(file, 'utf8'));
const req = { headers: received.headers, body: JSON.parse(received.body) };
process.stdout.write(String(verifyCallback(req, apiSecret)));
