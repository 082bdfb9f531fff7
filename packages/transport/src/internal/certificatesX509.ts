// @peculiar/x509, loaded after the Reflect metadata polyfill that its tsyringe dependency requires at import time (it
// throws without it). ESM evaluates imports in order, so the polyfill import stays first; every module of ours that
// uses x509 imports it from here, never from "@peculiar/x509" directly.
import "reflect-metadata"

export * from "@peculiar/x509"
