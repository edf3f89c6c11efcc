// The spec's Node.js client example, verbatim in its signing and fetch, pointed at the local stack.
// Usage: node submit.mjs <baseUrl> <apiKey> <apiSecret> <body.json>   → prints {"status":..., "body":...}
import crypto from 'node:crypto';
import fs from 'node:fs';

const [BASE_URL, API_KEY, API_SECRET, bodyFile] = process.argv.slice(2);

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

const response = await fetch(BASE_URL + '/rx/prescriptions/submit', {
  method: 'POST',
  headers: {
    'Content-Type': 'application/json',
    'X-API-Key': API_KEY,
    'X-Timestamp': timestamp,
    'X-Signature': signature,
  },
  body: JSON.stringify(body),
});

process.stdout.write(JSON.stringify({ status: response.status, body: await response.json() }));
