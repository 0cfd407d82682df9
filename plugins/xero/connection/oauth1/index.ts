// Legacy Xero private app: the X509 certificate the admin uploads, and OAuth 1.0a RSA-SHA1 request signing.
export { generatePrivateAppCertificate, certificateInfo, verifyCertificateMatchesKey } from './certificate';
export type { PrivateAppCertificate, CertificateRequest, CertificateInfo } from './certificate';
export {
  signOAuth1Request,
  signPrivateAppRequest,
  signWithParams,
  rsaSha1Signature,
  hmacSha1Signature,
  authorizationHeader,
  type OAuth1RequestInput,
  type SignedRequest,
  type FormBody,
} from './signer';
export { percentEncode, signatureBaseString, normaliseParameters, baseStringUri, parseFormEncoded, type Param } from './baseString';
export { OAuth1PrivateAppAuth, type OAuth1PrivateAppAuthOptions } from './xeroNodeAuth';
