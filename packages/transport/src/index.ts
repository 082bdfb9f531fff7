export * from "./Transport.js"
export * as Certificates from "./Certificates.js"
export * as MemoryTransport from "./MemoryTransport.js"
export * as WebSocketTransport from "./WebSocketTransport.js"
