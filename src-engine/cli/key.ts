/**
 * `key list | add | remove ID`: the key files: password slots, account slots, the drive envelope (and
 * any that are damaged or restic's, which open nothing here).
 */
import { formatKeyId } from '../../src-shared/account-crypto';
import { EngineError } from '../errors';
import type { KeyListing } from '../repository/keys';
import { flag, UsageError } from './args';
import type { RepositoryCommand } from './command';
import { EXIT, shortId } from './output';
import { promptPassword, readPasswordFile } from './password';

function keyLine(k: KeyListing): string {
  const id = shortId(k.id);
  switch (k.kind) {
    case 'password':
      return `${id}  password  ${k.created}  ${k.username}@${k.host}`;
    case 'account':
      return `${id}  account   key id ${formatKeyId(k.keyId)}  ${k.created}  ${k.username}@${k.host}`;
    case 'envelope':
      return `${id}  envelope  account ${k.accountUid}, generation ${k.generation}, key id ${formatKeyId(k.keyId)}  ${k.created}  ${k.server}`;
    case 'restic':
      return `${id}  restic    not usable here  ${k.created}  ${k.username}@${k.host}`;
    case 'damaged':
      return `${id}  DAMAGED   ${k.reason}; it opens nothing (\`key remove ${id}\` removes it)`;
  }
}

export const keyCommand: RepositoryCommand = {
  name: 'key',
  usage: 'key list | key add [--new-password-file FILE] | key remove ID',
  flags: { value: ['new-password-file'], bool: [] },
  opensRepository: true,
  async run({ repo, args, out, io }) {
    const sub = args.positional[0];
    if (sub === 'list') {
      const keys = await repo.listKeys();
      out.result(keys.map(keyLine).join('\n'), keys);
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
