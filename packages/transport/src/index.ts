export * from "./Transport.js"
export * as Certificates from "./Certificates.js"
