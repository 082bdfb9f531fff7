/**
 * Own request ids: a counter that walks our half of the id space and wraps inside it, skipping ids that are still
 * pending or that timed out recently (a late response to them must not be taken for the answer to a new request).
 */
import type { IdRange } from "../ProtocolFamily.js"

export interface RequestIds {
  /** The next free id, or `undefined` when every id of the range is busy. */
  readonly allocate: (isBusy: (id: number) => boolean) => number | undefined
}

export const makeRequestIds = (range: IdRange, start: number = range.first): RequestIds => {
  const size = range.last - range.first + 1
  let next = start
  return {
    allocate(isBusy) {
      for (let tried = 0; tried < size; tried++) {
        const id = next
        next = id === range.last ? range.first : id + 1
        if (!isBusy(id)) return id
      }
      return undefined
    }
  }
}
