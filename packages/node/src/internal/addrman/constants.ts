/** Address-manager constants, as in Bitcoin Core's addrman and the reference's port of it. */
export const TRIED_BUCKETS_PER_GROUP = 8
export const NEW_BUCKETS_PER_SOURCE_GROUP = 64
export const TRIED_BUCKET_COUNT = 256
export const NEW_BUCKET_COUNT = 1024
export const BUCKET_SIZE = 64
export const TRIED_COLLISION_SIZE = 10
export const NEW_BUCKETS_PER_ADDRESS = 8
export const LOG_TRIED_BUCKET_COUNT = 3
export const LOG_NEW_BUCKET_COUNT = 10
export const LOG_BUCKET_SIZE = 6
export const HORIZON_DAYS = 30
export const MAX_RETRIES = 3
export const MIN_FAIL_DAYS = 7
export const MAX_FAILURES = 10
/** `get_peers` answers with at most this many addresses … */
export const MAX_PEERS_SHARED = 1000
/** … and at most this percentage of the addresses it knows. */
export const PEERS_SHARED_PERCENT = 23

export const DAY = 24 * 60 * 60
