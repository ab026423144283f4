// Runs on the worker thread: Prettier 3's format() is async.
import * as prettier from 'prettier'

export async function format(source, options) {
  return prettier.format(source, options)
}
