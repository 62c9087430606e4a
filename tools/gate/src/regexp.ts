// What a regular expression uses that Espruino's matcher lacks. Espruino 2v29 matches with a small backtracking
// matcher: literal characters, `.`, classes `[...]`, escapes \d \D \s \S \w \W \n \r \t \v \f \0 \xHH, `*` and `+`
// after a single atom, `^`, `$`, capture groups without quantifiers, and `|` at the top level. Anything else does
// not throw there: it simply fails to match (probed: /^a{2}$/, /^ab?c$/, /(?:a)/, /^(ab)+$/ all match nothing).

/** Escapes with a meaning in JavaScript that Espruino lacks (or, for \b, reads as a backspace). */
const ESCAPES: Readonly<Record<string, string>> = {
  b: 'the word boundary \\b (Espruino reads it as a backspace)',
  B: 'the non-boundary \\B',
  k: 'named back-references',
  p: 'Unicode property escapes',
  P: 'Unicode property escapes',
  u: '\\u escapes (write \\xHH or the character)',
  c: 'control escapes \\cX',
};

/** Problems of a pattern, each said in a few words; empty when Espruino matches it as Node does. */
export function regexpProblems(pattern: string): string[] {
  const problems = new Set<string>();
  let depth = 0;
  /** Whether the previous token was an atom a quantifier may follow, and what kind. */
  let previous: 'atom' | 'group' | 'quantifier' | 'none' = 'none';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (next >= '1' && next <= '9') problems.add('back-references');
      else if (ESCAPES[next]) problems.add(ESCAPES[next]!);
      i += 1;
      previous = 'atom';
      continue;
    }
    if (ch === '[') {
      // A class is one atom; inside it only escapes can be a problem (\b is a backspace in both engines there).
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') {
        if (pattern[j] === '\\') {
          const next = pattern[j + 1] ?? '';
          if (next !== 'b' && ESCAPES[next]) problems.add(ESCAPES[next]!);
          j++;
        }
        j++;
      }
      i = j;
      previous = 'atom';
      continue;
    }
    if (ch === '(') {
      if (pattern[i + 1] === '?') {
        const kind = pattern[i + 2];
        if (kind === ':') problems.add('non-capturing groups (?:…)');
        else if (kind === '=' || kind === '!') problems.add('lookahead assertions');
        else if (kind === '<' && (pattern[i + 3] === '=' || pattern[i + 3] === '!')) problems.add('lookbehind assertions');
        else problems.add('named capture groups');
        // Skip the group's prefix so its `?` is not taken for a quantifier.
        const close = kind === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!' ? pattern.indexOf('>', i) : -1;
        i = close > 0 ? close : i + (kind === '<' ? 3 : 2);
      }
      depth++;
      previous = 'none';
      continue;
    }
    if (ch === ')') {
      depth = Math.max(0, depth - 1);
      previous = 'group';
      continue;
    }
    if (ch === '|') {
      if (depth > 0) problems.add('alternation inside a group (Espruino applies | to the rest of the whole pattern)');
      previous = 'none';
      continue;
    }
    if (ch === '*' || ch === '+' || ch === '?' || (ch === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)))) {
      if (ch === '?' && previous === 'quantifier') problems.add('lazy quantifiers (*?, +?)');
      else if (ch === '?') problems.add('the ? quantifier (write an alternative pattern, or test in code)');
      else if (ch === '{') problems.add('{n,m} quantifiers (repeat the atom)');
      else if (previous === 'group') problems.add(`a quantifier ${ch} after a group (only after a single character or class)`);
      if (ch === '{') i = pattern.indexOf('}', i);
      previous = 'quantifier';
      continue;
    }
    previous = ch === '^' || ch === '$' ? 'none' : 'atom';
  }
  return [...problems];
}
