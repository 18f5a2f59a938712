/** `init`: create a repository in an empty or absent folder. */
import { Repository } from '../repository/repository';
import type { StorageCommand } from './command';
import { getPassword } from './password';
import { EXIT } from './output';

export const initCommand: StorageCommand = {
  name: 'init',
  usage: 'init                                   create a repository in DIR (must be empty or absent)',
  flags: { value: [], bool: [] },
  opensRepository: false,
  async run({ io, args, out, storage }) {
    const repo = await Repository.init(storage, await getPassword(io, args, true));
    out.result(`created repository ${repo.config.id.slice(0, 10)} at ${storage.location}`, {
      id: repo.config.id,
      location: storage.location,
    });
    return EXIT.ok;
  },
};
