import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Storage } from './storage';

// PutBucketLifecycleConfiguration as an S3 server with lifecycle rules sees it, from a minimal
// HTTP server that records what it is sent (the stack's s3rver has no lifecycle rules: the API's
// tutor-test int test covers that path).

interface Seen {
  method: string;
  url: string;
  body: string;
}

async function fakeS3(answer: (req: Seen) => { status: number; body: string }) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      const { status, body } = answer(entry);
      res.writeHead(status, { 'content-type': 'application/xml' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const storage = new Storage({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    accessKeyId: 'k',
    secretAccessKey: 's',
    bucket: 'b',
    forcePathStyle: true,
    checksumMode: 'when_supported',
  });
  return { seen, storage, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const error = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`;

describe('Storage.ensurePrefixExpiry', () => {
  it('puts a 1-day expiration rule on the prefix and keeps the bucket\'s other rules', async () => {
    const existing = '<LifecycleConfiguration><Rule><ID>keep-me</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule></LifecycleConfiguration>';
    const s3 = await fakeS3((req) => (req.method === 'GET' ? { status: 200, body: existing } : { status: 200, body: '' }));
    try {
      await expect(s3.storage.ensurePrefixExpiry('tutor-test-runs/', 1)).resolves.toBe('applied');
      const put = s3.seen.find((r) => r.method === 'PUT')!;
      expect(put.url).toContain('lifecycle');
      expect(put.body).toMatch(/<ID>keep-me<\/ID>/);
      expect(put.body).toMatch(/<Prefix>logs\/<\/Prefix>/);
      expect(put.body).toMatch(/<ID>expire-tutor-test-runs<\/ID>/);
      expect(put.body).toMatch(/<Filter><Prefix>tutor-test-runs\/<\/Prefix><\/Filter>/);
      expect(put.body).toMatch(/<Expiration><Days>1<\/Days><\/Expiration>/);
    } finally {
      s3.storage.destroy();
      await s3.close();
    }
  });

  it('puts the rule alone when the bucket has no lifecycle configuration yet', async () => {
    const s3 = await fakeS3((req) => (req.method === 'GET' ? { status: 404, body: error('NoSuchLifecycleConfiguration') } : { status: 200, body: '' }));
    try {
      await expect(s3.storage.ensurePrefixExpiry('tutor-test-runs/', 1)).resolves.toBe('applied');
      const put = s3.seen.find((r) => r.method === 'PUT')!;
      expect(put.body.match(/<Rule>/g)).toHaveLength(1);
    } finally {
      s3.storage.destroy();
      await s3.close();
    }
  });

  it('answers unsupported, and puts nothing, on a server without lifecycle rules', async () => {
    const s3 = await fakeS3(() => ({ status: 501, body: error('NotImplemented') }));
    try {
      await expect(s3.storage.ensurePrefixExpiry('tutor-test-runs/', 1)).resolves.toBe('unsupported');
      expect(s3.seen.filter((r) => r.method === 'PUT')).toHaveLength(0);
    } finally {
      s3.storage.destroy();
      await s3.close();
    }
  });
});
