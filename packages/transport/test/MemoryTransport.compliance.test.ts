import { Effect } from "effect"
import { MemoryNetwork } from "../src/MemoryTransport.js"
import * as MemoryTransport from "../src/MemoryTransport.js"
import { type ComplianceHarness, complianceSuite } from "./compliance.js"

const harness = (tls: boolean): ComplianceHarness<MemoryNetwork> => ({
  layer: MemoryTransport.layerWithNetwork({ host: "127.0.0.1" }),
  host: "127.0.0.1",
  tls,
  clock: "test",
  kill: (connection) =>
    Effect.asVoid(Effect.flatMap(MemoryNetwork, (network) => network.severConnection(connection.id))),
  backPressureSlack: 0,
  deadPeerTimeout: "1 second"
})

complianceSuite("memory (plain)", harness(false))
complianceSuite("memory (mutual TLS)", harness(true))
