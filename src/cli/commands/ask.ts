import { Command } from 'commander';
import { citationLabel } from '../../governor/prompt.js';
import { printJson, withKeel } from '../context.js';

/** `keel ask "question"`: one governed answer, in process, with its citations. */
export function askCommand(): Command {
  return new Command('ask')
    .argument('<question...>', 'the question')
    .option('--agent <id>', 'agent to answer (default: routing rules)')
    .option('--json', 'print the whole answer object as JSON')
    .action(async (words: string[], options: { agent?: string; json?: boolean }) => {
      await withKeel(
        async (keel) => {
          const answer = await keel.governor.answer({
            message: words.join(' '),
            ...(options.agent && { agent: options.agent }),
          });
          if (options.json) return printJson(answer);
          console.log(answer.answer);
          if (answer.citations.length > 0) {
            console.log('\nSources:');
            for (const citation of answer.citations)
              console.log(`  [${citation.index}] ${citationLabel(citation)}`);
          }
          const reasons =
            answer.decision.reasons.length > 0 ? ` (${answer.decision.reasons.join('; ')})` : '';
          console.log(
            `\n${answer.decision.status}${reasons} · agent ${answer.agent} · ${answer.provider}/${answer.model} · policy ${answer.policy.id}@${answer.policy.version}`,
          );
        },
        { syncBundled: true },
      );
    });
}
