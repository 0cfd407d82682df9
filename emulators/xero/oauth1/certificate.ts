// Reading an uploaded X509 certificate: the public key that verifies RSA-SHA1 signatures and the
// validity dates checked against the emulated clock. Accepts PEM or DER (.cer files come as either).
import { X509Certificate, type KeyObject } from 'node:crypto';

export interface ParsedCertificate {
  pem: string;
  publicKey: KeyObject;
  notBefore: number;
  notAfter: number;
  subject: string;
  fingerprint256: string;
}

export class CertificateError extends Error {}

export function parseCertificate(input: string | Buffer): ParsedCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(normalise(input));
  } catch (err) {
    throw new CertificateError(`That is not a readable X509 certificate (PEM or DER): ${(err as Error).message}`);
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    throw new CertificateError('The certificate must carry an RSA public key (RSA-SHA1 signatures)');
  }
  return {
    pem: cert.toString(),
    publicKey: cert.publicKey,
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    subject: cert.subject,
    fingerprint256: cert.fingerprint256,
  };
}

/** Pasted PEM often arrives with Windows line endings or surrounding whitespace; DER is binary. */
function normalise(input: string | Buffer): string | Buffer {
  if (typeof input === 'string') return input.replace(/\r\n/g, '\n').trim();
  const text = input.toString('latin1');
  return text.includes('-----BEGIN') ? text.replace(/\r\n/g, '\n').trim() : input;
}
