import { tokens } from './language.js'
import { canonicalText, ownToolName } from './values.js'

/** What designation needs of a task: its request, and the calls and outputs seen so far. */
export interface DesignationState {
  /** The request, canonical (`canonicalText`). */
  readonly prompt: string
  /** The request as written. */
  readonly promptText: string
  readonly outputs: ReadonlyArray<{ tool: string }>
}

/** What designation needs of the read whose output it judges. */
export interface DesignationRead {
  tool: string
  args: Record<string, unknown>
  write: boolean
}

/**
 * Whether a read's output is the record the request named, beyond an argument the request writes whole (the rule
 * in `TaskState`): by a path's file name ("the settings in backup.toml" → `/etc/corp/backup/backup.toml`), or by a
 * description — a definite noun phrase of the request ("the ticket I assigned you", "my latest invoice") whose noun
 * is what a one-record read reads (`get_ticket_details` reads a ticket), for the first such read of the task: "the
 * ticket" is one ticket, the one the agent opened for it, by its identifier. A search, a listing, a channel or an
 * inbox names no one record.
 */
export function designatedBeyondArguments(state: DesignationState, read: DesignationRead): boolean {
  if (read.write) return false
  for (const value of Object.values(read.args)) {
    if (typeof value !== 'string' || !value.includes('/')) continue
    const file = value.split('/').filter(Boolean).at(-1) ?? ''
    if (file.length >= 5 && /\.[a-z0-9]{1,8}$/i.test(file) && state.prompt.includes(canonicalText(file)))
      return true
  }
  const words = ownToolName(read.tool)
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean)
  // One record: read by its identifier or name, or by a tool whose name names one thing and takes nothing
  // (`get_assigned_ticket`). A tool whose verb lists or searches returns many; one read by a channel, a day or a count
  // (`read_channel_messages`, `get_day_calendar_events`) returns a collection others write to; a one-word name
  // names no object.
  if (words.length < 2 || MANY.test(words[0] ?? '')) return false
  const byId = Object.entries(read.args).some(
    ([name, value]) => ID_NAME.test(name) && typeof value !== 'object',
  )
  const singular = words.slice(1).every((word) => CONNECTIVE.has(word) || !/[^su]s$/.test(word))
  if (!(byId || (singular && Object.keys(read.args).length === 0))) return false
  if (state.outputs.some((output) => output.tool === read.tool)) return false
  const described = describedNouns(state.promptText)
  return words.slice(1).some((word) => described.has(stemOf(word)))
}

/** An argument that names one record: `id`, `ticket_id`, `ticketId`, `issue_number`, `key`, `title`, `path`. */
const ID_NAME =
  /(?:^|_)(?:id|key|number|uuid|ref|slug|title|subject|path|file|filename)$|[a-z](?:Id|Key|Number|Ref|Title|Path)$/

/** Words of a tool name that join its nouns (`get_users_in_channel`). */
const CONNECTIVE = new Set(['in', 'of', 'for', 'by', 'from', 'on', 'to', 'with', 'and'])

/** Verbs of tool names that return many records. */
const MANY = /^(?:list|search|find|query|browse|scan|filter)$/

const nounCache = new Map<string, Set<string>>()

/**
 * The stems of nouns the request names with a determiner that points at one thing — "the", "this", "that", a
 * possessive ("my", "her", "Marta's") — possibly after adjectives or other nouns: "the ticket I assigned you" →
 * {ticket}, "my latest invoice" → {invoic}, "the retention policy" → {retent, polici}.
 */
function describedNouns(request: string): Set<string> {
  let nouns = nounCache.get(request)
  if (nouns) return nouns
  nouns = new Set()
  let open = false
  // "e-mail" is the tool names' `email`.
  for (const token of tokens(request.replace(/\be-mail/gi, 'email'))) {
    if (DEFINITE.has(token.text) || (token.text === "'s" && token.pos === 'PART')) open = true
    else if (open && (token.pos === 'NOUN' || token.pos === 'PROPN')) nouns.add(token.stem)
    else if (open && token.pos !== 'ADJ' && token.pos !== 'NUM' && !/^[-–]$/.test(token.text)) open = false
  }
  if (nounCache.size > 1_000) nounCache.clear()
  nounCache.set(request, nouns)
  return nouns
}

/** The definite article, the demonstratives and the possessive determiners: a closed class of English. */
const DEFINITE = new Set(['the', 'this', 'that', 'my', 'our', 'your', 'his', 'her', 'its', 'their'])

function stemOf(word: string): string {
  return tokens(word)[0]?.stem ?? word
}

/** Where one item of a listing sits in an output's text. */
export interface ListingItem {
  start: number
  end: number
}

/**
 * The items of the listings a JSON output holds: each object of an array of two or more objects, at any depth (an
 * inbox's messages, a search's results, a table's rows, a thread's replies), by where it sits in the text. Text that
 * is not JSON holds none. One pass over the text, aware of strings and escapes; no parse, so a cut-off output still
 * gives the items it holds whole.
 */
export function listingItems(raw: string): ListingItem[] {
  const first = raw.search(/\S/)
  if (first < 0 || (raw[first] !== '[' && raw[first] !== '{')) return []
  const items: ListingItem[] = []
  // Open containers: `[` with the objects found directly in it, or `{` with where it starts.
  const stack: Array<{ open: '[' | '{'; start: number; objects: ListingItem[] }> = []
  let inString = false
  for (let i = first; i < raw.length; i++) {
    const c = raw[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (c === '"') inString = true
    else if (c === '[' || c === '{') stack.push({ open: c, start: i, objects: [] })
    else if (c === ']' || c === '}') {
      const closed = stack.pop()
      if (!closed) break
      if (closed.open === '[' && closed.objects.length >= 2) items.push(...closed.objects)
      const parent = stack.at(-1)
      if (closed.open === '{' && parent?.open === '[')
        parent.objects.push({ start: closed.start, end: i + 1 })
    }
  }
  return items
}
