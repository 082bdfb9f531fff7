/** Schemas of the RPC commands' parameters. Extra keys are ignored (as the reference does); a bad one is named. */
import { Effect, ParseResult, Schema } from "effect"
import { isIP } from "node:net"
import { normalizeHost } from "../BanList.js"
import { RpcError } from "./rpcError.js"

/** Longest ban the RPC accepts: ten years, in seconds. */
export const MAX_BAN_SECONDS = 10 * 365 * 24 * 3600
/** Longest ban reason kept. */
export const MAX_REASON_LENGTH = 500

const PortNumber = Schema.Int.pipe(Schema.between(1, 65535))
// The reference takes `int(request["port"])`, so "8444" works there too.
const Port = Schema.Union(PortNumber, Schema.compose(Schema.NumberFromString, PortNumber)).annotations({
  message: () => ({ message: "expected a port number 1..65535", override: true })
})

const Host = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(255)).annotations({
  message: () => ({ message: "expected a host name or IP address", override: true })
})

const IpAddress = Schema.transform(
  Schema.String.pipe(
    Schema.filter((s) => isIP(normalizeHost(s)) !== 0),
    Schema.annotations({ message: () => ({ message: "expected an IP address", override: true }) })
  ),
  Schema.String,
  { strict: true, decode: normalizeHost, encode: (s) => s }
)

const NodeIdHex = Schema.transform(
  Schema.String.pipe(
    Schema.pattern(/^(0x)?[0-9a-fA-F]{64}$/),
    Schema.annotations({
      message: () => ({ message: "expected 32 bytes as hex (64 digits, 0x optional)", override: true })
    })
  ),
  Schema.String,
  { strict: true, decode: (s) => s.replace(/^0x/, "").toLowerCase(), encode: (s) => s }
)

export const GetConnections = Schema.Struct({
  node_type: Schema.optionalWith(
    Schema.Int.pipe(Schema.between(1, 7)).annotations({
      message: () => ({ message: "expected a node type 1..7", override: true })
    }),
    { exact: true }
  )
})

export const OpenConnection = Schema.Struct({ host: Host, port: Port })

export const CloseConnection = Schema.Struct({ node_id: NodeIdHex })

export const Ban = Schema.Struct({
  host: IpAddress,
  seconds: Schema.optionalWith(
    Schema.Number.pipe(Schema.positive(), Schema.lessThanOrEqualTo(MAX_BAN_SECONDS)).annotations({
      message: () => ({ message: `expected a number of seconds, > 0 and ≤ ${MAX_BAN_SECONDS}`, override: true })
    }),
    { exact: true }
  ),
  reason: Schema.optionalWith(
    Schema.String.pipe(Schema.maxLength(MAX_REASON_LENGTH)).annotations({
      message: () => ({ message: `expected a string of at most ${MAX_REASON_LENGTH} characters`, override: true })
    }),
    { exact: true }
  )
})

export const Unban = Schema.Struct({ host: IpAddress })

/** Decodes `params` for `command`; the error names the command and every bad key (`open_connection: port: …`). */
export const decodeParams = <A, I>(schema: Schema.Schema<A, I>, command: string) =>
(params: unknown): Effect.Effect<A, RpcError> =>
  Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "ignore" })(params).pipe(
    Effect.mapError((error) =>
      new RpcError({
        reason: "InvalidParams",
        message: `${command}: ` +
          ParseResult.ArrayFormatter.formatErrorSync(error)
            .map((issue) => `${issue.path.join(".") || "params"}: ${issue.message}`)
            .join("; ")
      })
    )
  )
