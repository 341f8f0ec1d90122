/**
 * Instruction-like text addressed to the agent inside data (a tool output, a document, a web page): the shape of
 * an indirect prompt injection. Generic English cues only — who is addressed, override language, imperative
 * requests to act, mentions of the agent's own tools as commands. A signal among others, never the only defence.
 */
const CUES: ReadonlyArray<readonly [RegExp, number]> = [
  // Override language.
  [
    /\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all|any|other)\b[^.\n]{0,30}\b(instructions?|prompts?|tasks?|rules?|messages?)\b/i,
    3,
  ],
  // Addressed to a model or assistant.
  [
    /\b(to you|dear|hey|hi|hello|attention|note)\b[^.\n]{0,20}\b(ai|assistant|model|agent|llm|bot|chatbot|gpt[-\w.]*|claude|gemini|llama|copilot)\b/i,
    2,
  ],
  [/\b(you are|as) an? (ai|language model|assistant|agent)\b/i, 2],
  [
    /\b(ai|assistant|model|agent|llm)\b[^.\n]{0,40}\b(must|should|needs? to|has to|is required to|will now)\b/i,
    2,
  ],
  // Talk about the agent's own task, from inside data.
  [
    /\b(the|your|my|this) (original |current |previous |initial )?(task|instructions?|request) (that |which )?(i|the user) (gave|asked|assigned|told)/i,
    3,
  ],
  [
    /\bbefore (you|proceeding|continuing|solving|completing|answering)\b[^.\n]{0,60}\b(do|perform|complete|execute|follow|first)\b/i,
    3,
  ],
  [/\b(after|once) you (do|have done|complete|finish)\b[^.\n]{0,40}\b(that|this|it)\b/i, 1],
  [/\b(new|updated|important|urgent|additional|hidden|secret) (instructions?|task|directive|order)s?\b/i, 2],
  [/\b(do not|don't|never) (tell|inform|mention|reveal|notify)\b[^.\n]{0,30}\b(user|anyone|them)\b/i, 2],
  // Imperative requests to act, in data.
  [
    /\b(please|you must|you should|make sure to|be sure to|remember to)\b[^.\n]{0,20}\b(send|transfer|pay|forward|email|invite|add|remove|delete|change|update|reset|visit|open|post|share|grant|create|schedule|book)\b/i,
    1,
  ],
]

const commandPatterns = new Map<string, RegExp | null>()

/** One pattern per tool set: the agent's own tools named as commands ("call send_money", "send_money("). */
function commandPattern(toolNames: readonly string[]): RegExp | null {
  const key = toolNames.join('|')
  let pattern = commandPatterns.get(key)
  if (pattern === undefined) {
    const names = toolNames
      .filter((name) => name.length >= 4)
      .map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    const any = names.join('|')
    pattern = names.length
      ? new RegExp(
          `\\b(call|use|run|invoke|execute|with)\\b[^.\\n]{0,20}\\b(${any})\\b|\\b(${any})\\s*\\(`,
          'i',
        )
      : null
    if (commandPatterns.size > 1000) commandPatterns.clear()
    commandPatterns.set(key, pattern)
  }
  return pattern
}

/** A score of how much `text` reads like instructions to the agent; 0 for plain data. */
export function instructionScore(raw: string, toolNames: readonly string[] = []): number {
  // A sentence wrapped over lines (YAML, e-mail, fixed-width text) is still one sentence: a single line break
  // reads as a space; a blank line still ends the sentence.
  const text = raw.replace(/[ \t]*\n[ \t]*(?=[^\n])/g, ' ')
  let score = 0
  for (const [pattern, weight] of CUES) if (pattern.test(text)) score += weight
  if (commandPattern(toolNames)?.test(text)) score += 2
  return score
}

/** The threshold above which an output is treated as carrying instructions (tainted). */
export const INSTRUCTION_THRESHOLD = 3
