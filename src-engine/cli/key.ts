/** `key list | add | remove ID`: the passwords (key files) that open the repository. */
import { EngineError } from '../errors';
import { flag, UsageError } from './args';
import type { RepositoryCommand } from './command';
import { EXIT, shortId } from './output';
import { promptPassword, readPasswordFile } from './password';

export const keyCommand: RepositoryCommand = {
  name: 'key',
  usage: 'key list | key add [--new-password-file FILE] | key remove ID',
  flags: { value: ['new-password-file'], bool: [] },
  opensRepository: true,
  async run({ repo, args, out, io }) {
    const sub = args.positional[0];
    if (sub === 'list') {
      const keys = await repo.listKeys();
      out.result(keys.map((k) => `${shortId(k.id)}  ${k.created}  ${k.username}@${k.host}`).join('\n'), keys);
      return EXIT.ok;
    }
    if (sub === 'add') {
      const file = flag(args, 'new-password-file');
      let pw: string;
      if (file) pw = readPasswordFile(file);
      else {
        pw = await promptPassword(io, 'new password: ');
        if ((await promptPassword(io, 'enter the new password again: ')) !== pw) {
          throw new EngineError('INVALID_ARGUMENT', 'the passwords do not match');
        }
      }
      const id = await repo.addKey(pw);
      out.result(`added key ${shortId(id)}`, { id });
      return EXIT.ok;
    }
    if (sub === 'remove') {
      const id = args.positional[1];
      if (!id) throw new UsageError('key remove needs a key ID (see key list)');
      await repo.removeKey(id);
      out.result(`removed key ${id}`, { removed: id });
      return EXIT.ok;
    }
    throw new UsageError('key takes list, add or remove');
  },
};
