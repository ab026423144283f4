/**
 * Worker modules as a bridge or a portal knows them: each allowed URL gets a number, which
 * the worker learns with the URL on first use and which later calls send alone.
 */

/** Resolves what `load()` was given to an absolute URL on an allowed scheme. */
export function toModuleUrl(url: string | URL, protocols: readonly string[]): string {
  let parsed: URL
  if (url instanceof URL) parsed = url
  else if (typeof url !== 'string') throw new TypeError(`load(): expected a URL or an absolute path, got ${typeof url}`)
  else if (url.startsWith('/')) parsed = new URL(`file://${encodeURI(url).replace(/[?#]/g, encodeURIComponent)}`)
  else if (/^[A-Za-z]:[\\/]/.test(url)) parsed = new URL(`file:///${encodeURI(url.replace(/\\/g, '/'))}`)
  else if (URL.canParse?.(url) ?? /^[a-z][a-z0-9+.-]*:/i.test(url)) parsed = new URL(url)
  else {
    throw new TypeError(`load(): '${url}' is relative; pass an absolute URL, e.g. new URL('${url}', import.meta.url)`)
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new TypeError(`load(): ${parsed.protocol} URLs are not allowed (allowed: ${protocols.join(', ')}); set allowedProtocols to permit them`)
  }
  return parsed.href
}

/** The numbers of the modules loaded on one bridge or portal. */
export class ModuleIds {
  private readonly ids = new Map<string, number>()

  /** The number of module `href`, given on first sight. */
  idFor(href: string): number {
    let id = this.ids.get(href)
    if (id === undefined) {
      id = this.ids.size + 1
      this.ids.set(href, id)
    }
    return id
  }
}
