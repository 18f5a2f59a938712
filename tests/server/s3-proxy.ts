/**
 * A recording proxy in front of s3rver: the tests see which S3 requests the server made and when
 * (an UploadPart while the client is still sending), and can hold an answer back after s3rver
 * has carried the request out (a slow CompleteMultipartUpload, a crash right after one).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  url: string;
  at: number;
}

export interface S3Proxy {
  endpoint: string;
  requests: ProxiedRequest[];
  /** Answers to matching requests reach the server `ms` after s3rver gave them; `reached` runs at that moment. */
  holdAnswers(match: (r: ProxiedRequest) => boolean, ms: number, reached?: (r: ProxiedRequest) => void): void;
  close(): Promise<void>;
}

export const isUploadPart = (r: ProxiedRequest) => r.method === 'PUT' && /[?&]partNumber=/.test(r.url);
export const isCompleteMultipart = (r: ProxiedRequest) => r.method === 'POST' && /[?&]uploadId=/.test(r.url);
/** The request that makes a pack visible: CompleteMultipartUpload, or a whole PutObject. */
export const isPackCommit = (r: ProxiedRequest) =>
  isCompleteMultipart(r) ||
  (r.method === 'PUT' && r.url.includes('/data/') && !/[?&]partNumber=/.test(r.url));

export async function startS3Proxy(target: string): Promise<S3Proxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const holds: Array<{
    match: (r: ProxiedRequest) => boolean;
    ms: number;
    reached?: (r: ProxiedRequest) => void;
  }> = [];
  const server = http.createServer((req, res) => {
    const record = { method: req.method!, url: req.url!, at: Date.now() };
    requests.push(record);
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        const hold = holds.find((h) => h.match(record));
        const send = () => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        };
        if (!hold) return send();
        // Read s3rver's whole answer first: the request has been carried out when this waits.
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          hold.reached?.(record);
          setTimeout(() => {
            res.writeHead(answer.statusCode!, answer.headers);
            res.end(Buffer.concat(chunks));
          }, hold.ms);
        });
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    holdAnswers(match, ms, reached) {
      holds.push({ match, ms, ...(reached ? { reached } : {}) });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
