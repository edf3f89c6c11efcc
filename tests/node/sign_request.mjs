// Signs a request exactly as the spec's "Node.js Example" does, and prints the headers and body it would send.
// Usage: node sign_request.mjs <apiKey> <apiSecret> <body.json>
import crypto from 'node:crypto';
import fs from 'node:fs';

const [API_KEY, API_SECRET, bodyFile] = process.argv.slice(2);

function signRequest(body) {
  const timestamp = new Date().toISOString();
  const bodyStr = JSON.stringify(body);
  const signature = crypto
    .createHmac('sha256', API_SECRET)
    .update(timestamp + '.' + bodyStr)
    .digest('hex');

  return { timestamp, signature };
}

const body = JSON.parse(fs.readFileSync(bodyFile, 'utf8'));
const { timestamp, signature } = signRequest(body);
process.stdout.write(JSON.stringify({
  headers: {
    'Content-Type': 'application/json',
    'X-API-Key': API_KEY,
    'X-Timestamp': timestamp,
    'X-Signature': signature,
  },
  body: JSON.stringify(body),
}));
