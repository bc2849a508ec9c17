import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Problem } from '@oreal-ts/core';
import { temporaryDir } from '../../test/helpers';
import { BUILT_IN_TEMPLATES, resolveTemplate } from './templates';

const problem: Problem = { id: 'p', question: 'What is $1+2$?', answer: '3' };

describe('templates', () => {
  it('qwen-boxed is ChatML with a system prompt asking for \\boxed{}', async () => {
    const template = await resolveTemplate('qwen-boxed');
    const [system, user] = template.messages(problem);
    expect(system).toMatchObject({ role: 'system' });
    expect(system?.content).toContain('\\boxed{}');
    expect(user).toEqual({ role: 'user', content: problem.question });
    expect(template.render(problem)).toBe(
      `<|im_start|>system\n${system?.content}<|im_end|>\n<|im_start|>user\nWhat is $1+2$?<|im_end|>\n<|im_start|>assistant\n`,
    );
    expect(template.stop).toContain('<|im_end|>');
  });

  it('r1 has no system prompt and opens the think block; plain has no markup', () => {
    const r1 = BUILT_IN_TEMPLATES.r1;
    expect(r1?.messages(problem)).toHaveLength(1);
    expect(r1?.render(problem)).toMatch(/^<｜begin▁of▁sentence｜><｜User｜>What is \$1\+2\$\?\n.*\\boxed\{\}.*<｜Assistant｜><think>\n$/s);
    const plain = BUILT_IN_TEMPLATES.plain;
    expect(plain?.render(problem)).not.toMatch(/<\|/);
    expect(plain?.render(problem)).toContain(problem.question);
  });

  it('reads text and JSON template files and validates them', async () => {
    const dir = await temporaryDir();
    await writeFile(join(dir, 't.txt'), 'Q: {{problem}}\nA:');
    const text = await resolveTemplate(join(dir, 't.txt'));
    expect(text.render(problem)).toBe('Q: What is $1+2$?\nA:');
    expect(text.messages(problem)).toEqual([{ role: 'user', content: 'Q: What is $1+2$?\nA:' }]);

    await writeFile(join(dir, 't.json'), JSON.stringify({ system: 'Be brief.', user: 'Solve: {{problem}}', stop: ['</s>'] }));
    const json = await resolveTemplate(join(dir, 't.json'));
    expect(json.messages(problem)).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Solve: What is $1+2$?' },
    ]);
    expect(json.render(problem)).toBe('Be brief.\n\nSolve: What is $1+2$?');
    expect(json.stop).toEqual(['</s>']);

    await writeFile(join(dir, 'bad.json'), JSON.stringify({ user: 'no placeholder' }));
    await expect(resolveTemplate(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/template\.user.*\{\{problem\}\}/) });
    await writeFile(join(dir, 'bad.txt'), 'no placeholder');
    await expect(resolveTemplate(join(dir, 'bad.txt'))).rejects.toThrow(/\{\{problem\}\}/);
    await expect(resolveTemplate('qwen')).rejects.toThrow(/unknown template 'qwen'; use one of qwen-boxed, r1, plain/);
  });
});
