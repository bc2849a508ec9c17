import { describe, expect, it } from 'vitest';
import { parseAnswerStructure, splitTopLevel } from './answer-structure';

describe('parseAnswerStructure', () => {
  it('splits only at top level', () => {
    expect(splitTopLevel('(1,2),[3,4)', [','])).toEqual(['(1,2)', '[3,4)']);
    expect(splitTopLevel('\\{1,2\\},3', [','])).toEqual(['\\{1,2\\}', '3']);
    expect(splitTopLevel('(1,2', [','])).toBeNull();
  });

  it('recognises each kind of answer', () => {
    expect(parseAnswerStructure('1,-2').kind).toBe('list');
    expect(parseAnswerStructure('(3,4]')).toMatchObject({ kind: 'tuple', open: '(', close: ']' });
    expect(parseAnswerStructure('(0,9)\\cup(9,36)').kind).toBe('union');
    expect(parseAnswerStructure('\\{1,2\\}').kind).toBe('set');
    expect(parseAnswerStructure('\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}')).toMatchObject({ kind: 'matrix', rows: [[{ text: '1' }, { text: '2' }], [{ text: '3' }, { text: '4' }]] });
    expect(parseAnswerStructure('y=2x+3')).toEqual({ kind: 'equation', sides: ['y', '2x+3'] });
    expect(parseAnswerStructure('x>3')).toEqual({ kind: 'inequality', left: '3', op: '<', right: 'x' });
    expect(parseAnswerStructure('-2\\le x\\le7')).toMatchObject({ kind: 'union', parts: [{ kind: 'tuple', open: '[', close: ']' }] });
    expect(parseAnswerStructure('204_5')).toEqual({ kind: 'base', digits: '204', base: 5 });
    expect(parseAnswerStructure('1\\pm\\sqrt{2}')).toMatchObject({ kind: 'list', items: [{ text: '1+\\sqrt{2}' }, { text: '1-(\\sqrt{2})' }] });
    expect(parseAnswerStructure('(C)')).toEqual({ kind: 'choice', letter: 'C' });
    expect(parseAnswerStructure('(x+1)')).toEqual({ kind: 'scalar', text: 'x+1' });
    expect(parseAnswerStructure('\\emptyset')).toEqual({ kind: 'set', items: [] });
  });

  it('marks unbalanced or oversized input unparseable', () => {
    expect(parseAnswerStructure('(1,2').kind).toBe('unparseable');
    expect(parseAnswerStructure('1'.repeat(2000)).kind).toBe('unparseable');
  });
});
