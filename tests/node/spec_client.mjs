// The spec's Node.js client example, verbatim in its signing and its fetch.
//   node spec_client.mjs sign   <apiKey> <apiSecret> <body.json>            → prints {headers, body}
//   node spec_client.mjs submit <apiKey> <apiSecret> <body.json> <baseUrl>  → prints {status, body}
import crypto from 'node:crypto';
import fs from 'node:fs';

const [mode, API_KEY, API_SECRET, bodyFile, BASE_URL] = process.argv.slice(2);

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
const headers = {
  'Content-Type': 'application/json',
  'X-API-Key': API_KEY,
  'X-Timestamp': timestamp,
  'X-Signature': signature,
};

if (mode === 'sign') {
  process.stdout.write(JSON.stringify({ headers, body: JSON.stringify(body) }));
} else {
  const response = await fetch(BASE_URL + '/rx/prescriptions/submit', {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  process.stdout.write(JSON.stringify({ status: response.status, body: await response.json() }));
}
