/** Chia: message types, the envelope, the catalogue, request/response rules, payload classes and nested types. */
export * as Catalogue from "./Catalogue.js"
export * as Message from "./Message.js"
export * as MessageTypes from "./MessageTypes.js"
export * as RequestResponse from "./RequestResponse.js"
export * as Types from "./types/index.js"
export * as Shared from "./protocol/shared.js"
export * as FullNode from "./protocol/fullNode.js"
export * as Introducer from "./protocol/introducer.js"
export * as Timelord from "./protocol/timelord.js"
export * as Wallet from "./protocol/wallet.js"
export * as Farmer from "./protocol/farmer.js"
export * as Harvester from "./protocol/harvester.js"
export * as Pool from "./protocol/pool.js"
export * as Solver from "./protocol/solver.js"
export * as Simulator from "./protocol/simulator.js"
export {
  type ChiaMessage,
  type ChiaMessageOf,
  type ClassName,
  codecForClass,
  decodeMessage,
  encodeMessage,
  type MessageName,
  payloadCodecFor,
  type PayloadOf
} from "./Catalogue.js"
export { type ResponseOf } from "./RequestResponse.js"
