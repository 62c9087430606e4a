import { describe, expect, test } from '@jest/globals';
import { regexpProblems } from '../src/regexp.ts';

// Patterns probed on Espruino 2v29: the first list matches nothing (or the wrong thing) there, silently.
describe('regular expressions Espruino mismatches are named', () => {
  test.each([
    ['^a{2}$', '{n,m} quantifiers'],
    ['^ab?c$', 'the ? quantifier'],
    ['<.+?>', 'lazy quantifiers'],
    ['(?:ab)+c', 'non-capturing groups'],
    ['a(?=b)', 'lookahead assertions'],
    ['(?<=a)b', 'lookbehind assertions'],
    ['(?<year>\\d+)', 'named capture groups'],
    ['^(ab)+$', 'a quantifier + after a group'],
    ['^([kM])(Wh|W)$', 'alternation inside a group'],
    ['\\bx', 'the word boundary \\b'],
    ['(a)\\1', 'back-references'],
    ['\\u0041', '\\u escapes'],
    ['[\\s\\u0000]+$', '\\u escapes'],
  ])('/%s/ is reported for %s', (pattern, what) => {
    expect(regexpProblems(pattern).join('; ')).toContain(what);
  });
});

describe('regular expressions Espruino matches as Node does pass', () => {
  test.each([
    '^\\d+\\.\\d+$',
    '^[a-z]+$',
    '^[^0-9]+$',
    'a|b',
    '\\r\\n|\\n',
    '^(\\w+)=(\\w+)$',
    '[?]',
    'a\\?',
    '[\\b]',
    '\\x41',
    '-([a-z])',
  ])('/%s/ has no problem', (pattern) => {
    expect(regexpProblems(pattern)).toEqual([]);
  });
});
