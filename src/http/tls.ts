import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { SecureContextOptions } from 'node:tls';

export interface TlsSettings {
  certificate: string;
  key: string;
  clientCas: string[];
  minimumTls: 'TLSv1.2' | 'TLSv1.3';
  selfSigned: { enabled: boolean; hosts: string[] };
}

export interface TlsMaterial {
  options: SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean };
  /** Set when this start generated the certificate, so the admin can be told where it is. */
  generated: boolean;
}

/**
 * Load the configured certificate and key, generating a self-signed pair once when neither exists.
 * Its SANs hold every configured host plus this machine's name, IPs as IP SANs: a certificate without IP
 * SANs is the classic reason Palette refuses a registry reached by address.
 */
export async function loadTlsMaterial(settings: TlsSettings): Promise<TlsMaterial> {
  const haveCert = existsSync(settings.certificate);
  const haveKey = existsSync(settings.key);
  let generated = false;
  if (!haveCert && !haveKey && settings.selfSigned.enabled) {
    await generateSelfSigned(settings.certificate, settings.key, [...settings.selfSigned.hosts, hostname()]);
    generated = true;
  } else if (!haveCert || !haveKey) {
    const missing = haveCert ? settings.key : settings.certificate;
    throw new Error(`TLS ${haveCert ? 'key' : 'certificate'} file ${missing} does not exist (http.tls)`);
  }
  const clientCas = await Promise.all(settings.clientCas.map((path) => readFile(path)));
  return {
    generated,
    options: {
      cert: await readFile(settings.certificate),
      key: await readFile(settings.key),
      minVersion: settings.minimumTls,
      ...(clientCas.length > 0 ? { ca: clientCas, requestCert: true, rejectUnauthorized: true } : {}),
    },
  };
}

export async function generateSelfSigned(certificatePath: string, keyPath: string, hosts: string[]): Promise<void> {
  const unique = [...new Set(hosts.filter(Boolean))];
  const altNames = unique.map((host) => (isIP(host) ? { type: 7 as const, ip: host } : { type: 2 as const, value: host }));
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 5);
  // Loaded only here: most starts load a certificate, and selfsigned (with node-forge) is 2–3 MB of heap.
  const { default: selfsigned } = await import('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: unique[0] ?? 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      // A CA flag lets clients trust this one certificate directly as their CA (ca.crt), as Spectro's docs do.
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  await mkdir(dirname(certificatePath), { recursive: true });
  await mkdir(dirname(keyPath), { recursive: true });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certificatePath, pems.cert, { mode: 0o644 });
}
