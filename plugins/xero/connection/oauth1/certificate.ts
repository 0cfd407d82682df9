import { X509Certificate, createPrivateKey, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { ValidationError } from '../../../../server/errors';

// The self-signed X509 certificate an admin uploads to Xero's developer portal for a private app.
// Node generates the RSA key pair (asynchronously, off the event loop: a 2048-bit key takes tens to
// hundreds of milliseconds); node-forge only builds and signs the certificate around it.
// The private key is returned as PEM for the caller to seal; nothing here touches the disk.

const generateKeyPairAsync = promisify(generateKeyPair);

export interface PrivateAppCertificate {
  certificatePem: string;
  /** PKCS#8 PEM. Seal it (secret box) before storing. */
  privateKeyPem: string;
  /** Colon-separated upper-case hex, as the developer portal and openssl show it. */
  fingerprintSha1: string;
  notBefore: Date;
  notAfter: Date;
  /** Lower-case hex. */
  serialNumber: string;
}

export interface CertificateRequest {
  commonName?: string;
  organisationName: string;
  validityYears?: number;
  /** For tests: the moment the certificate is issued. */
  now?: Date;
}

export async function generatePrivateAppCertificate(req: CertificateRequest): Promise<PrivateAppCertificate> {
  const validityYears = req.validityYears ?? 5;
  if (!Number.isInteger(validityYears) || validityYears < 1 || validityYears > 30) {
    throw new RangeError('validityYears must be a whole number from 1 to 30');
  }
  const organisationName = req.organisationName.trim();
  if (organisationName === '') throw new RangeError('organisationName is required');
  const commonName = (req.commonName ?? `Ledgerbridge ${organisationName}`).trim().slice(0, 64); // X.520 ub-common-name

  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  const now = req.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000); // a minute of slack for clocks slightly behind ours
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + validityYears);

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const name = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: organisationName.slice(0, 64) },
  ];
  cert.setSubject(name);
  cert.setIssuer(name); // self-signed
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(cert);

  const info = certificateInfo(certificatePem);
  return {
    certificatePem,
    privateKeyPem: privateKey,
    fingerprintSha1: info.fingerprintSha1,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    serialNumber: info.serialNumber,
  };
}

/**
 * 16 random bytes as a positive DER INTEGER (RFC 5280 §4.1.2.2: positive, at most 20 octets). Clearing
 * the top bit keeps it positive; setting the next one keeps the first octet non-zero, so the encoding is
 * minimal and always 16 octets. 126 random bits remain.
 */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

export interface CertificateInfo {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  fingerprintSha1: string;
  serialNumber: string;
}

export function certificateInfo(pem: string): CertificateInfo {
  const cert = parseCertificate(pem);
  return {
    subject: cert.subject,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprintSha1: cert.fingerprint,
    serialNumber: cert.serialNumber.toLowerCase(),
  };
}

/** True when the private key is the one the certificate's public key belongs to. */
export function verifyCertificateMatchesKey(certificatePem: string, privateKeyPem: string): boolean {
  const cert = parseCertificate(certificatePem);
  let key;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    throw new ValidationError([{ path: 'privateKeyPem', message: 'is not a readable, unencrypted PEM private key' }], 'The private key is not readable');
  }
  return cert.checkPrivateKey(key);
}

function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem.replace(/\r\n/g, '\n').trim());
  } catch {
    throw new ValidationError([{ path: 'certificatePem', message: 'is not a readable PEM X509 certificate' }], 'The certificate is not readable');
  }
}
