// The addon built by `node build.mjs` (npm runs it at install): undefined when it was not built.
'use strict';
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled addon loads only this way
  module.exports = require('./build/Release/strongroom_fs.node');
} catch {
  module.exports = undefined;
}
