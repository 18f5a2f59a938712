/**
 * The key routes (src-shared/account-keys-api.ts, where their schemas and words live) in the
 * route table's form, so the server registers them behind the same gate as every other route.
 * tests/server/route-table.test.ts checks that both tables say the same.
 */
import {
  accountDirectory,
  accountKeyStatus,
  accountKeys,
  archivedAccountKeys,
  computerIdParam,
  createAccountKeysInput,
  deleteDirectoryRowInput,
  deleteProfileInput,
  deviceWrapInput,
  forgotPasswordBeginInput,
  forgotPasswordFinishInput,
  forgotPasswordTicket,
  generationAnswer,
  keyChangePasswordInput,
  newRecoveryKeyInput,
  putDirectoryRowInput,
  putProfileInput,
  reauthenticateInput,
  replaceAccountKeysInput,
  replaceTemporaryPasswordInput,
  rewrapPasswordInput,
  signInParams,
  signInParamsInput,
  vaultIdParam,
} from '../account-keys-api';
import { SEALED_MAX_CHARS, directoryVaultRow, profileRow } from '../account-keys';
import { noContent, route } from './route';

/** A directory row or profile: one sealed value of up to SEALED_MAX_CHARS, and a little JSON around it. */
export const SEALED_BODY_LIMIT = SEALED_MAX_CHARS + 4 * 1024;

export const keyHttpRoutes = {
  /** Throttled per address; unknown, migrated and not-yet-migrated usernames are answered alike. */
  signInParams: route({
    method: 'POST',
    path: '/api/sign-in/params',
    auth: { kind: 'public' },
    body: signInParamsInput,
    reply: signInParams,
  }),
  forgotPasswordBegin: route({
    method: 'POST',
    path: '/api/forgot-password/begin',
    auth: { kind: 'public' },
    body: forgotPasswordBeginInput,
    reply: forgotPasswordTicket,
  }),
  forgotPasswordFinish: route({
    method: 'POST',
    path: '/api/forgot-password/finish',
    auth: { kind: 'public' },
    body: forgotPasswordFinishInput,
    reply: noContent,
    status: 204,
  }),
  reauthenticate: route({
    method: 'POST',
    path: '/api/account/reauthenticate',
    auth: { kind: 'session' },
    body: reauthenticateInput,
    reply: noContent,
    status: 204,
  }),
  replaceTemporaryPassword: route({
    method: 'POST',
    path: '/api/account/password/temporary',
    auth: { kind: 'session', temporaryOk: true, duringEnrolment: true },
    body: replaceTemporaryPasswordInput,
    reply: accountKeyStatus,
  }),
  changePassword: route({
    method: 'POST',
    path: '/api/account/password',
    auth: { kind: 'session', bearerOnly: true },
    body: keyChangePasswordInput,
    reply: generationAnswer,
  }),
  /** The app only: a panel cookie reading the password wrap could guess the password offline. */
  accountKeys: route({
    method: 'GET',
    path: '/api/account/keys',
    auth: { kind: 'fresh', bearerOnly: true },
    reply: accountKeys,
  }),
  createAccountKeys: route({
    method: 'POST',
    path: '/api/account/keys',
    auth: { kind: 'fresh', bearerOnly: true },
    body: createAccountKeysInput,
    reply: generationAnswer,
  }),
  rewrapPassword: route({
    method: 'PUT',
    path: '/api/account/keys/password-wrap',
    auth: { kind: 'fresh', bearerOnly: true },
    body: rewrapPasswordInput,
    reply: generationAnswer,
  }),
  /** The password and the code again in the body: a new key is never made on a session alone. */
  replaceAccountKeys: route({
    method: 'POST',
    path: '/api/account/keys/replace',
    auth: { kind: 'fresh', bearerOnly: true },
    body: replaceAccountKeysInput,
    reply: generationAnswer,
  }),
  archivedAccountKeys: route({
    method: 'GET',
    path: '/api/account/keys/archived',
    auth: { kind: 'fresh', bearerOnly: true },
    reply: archivedAccountKeys,
  }),
  newRecoveryKey: route({
    method: 'POST',
    path: '/api/account/keys/recovery',
    auth: { kind: 'session', bearerOnly: true },
    body: newRecoveryKeyInput,
    reply: generationAnswer,
  }),
  putDeviceWrap: route({
    method: 'PUT',
    path: '/api/account/keys/devices/:computerId',
    auth: { kind: 'fresh', bearerOnly: true },
    params: computerIdParam,
    body: deviceWrapInput,
    reply: generationAnswer,
  }),
  deleteDeviceWrap: route({
    method: 'DELETE',
    path: '/api/account/keys/devices/:computerId',
    auth: { kind: 'full', bearerOnly: true },
    params: computerIdParam,
    reply: noContent,
    status: 204,
  }),
  directory: route({
    method: 'GET',
    path: '/api/account/directory',
    auth: { kind: 'fresh', bearerOnly: true },
    reply: accountDirectory,
  }),
  putDirectoryRow: route({
    method: 'PUT',
    path: '/api/account/directory/vaults/:vaultId',
    auth: { kind: 'full', bearerOnly: true },
    params: vaultIdParam,
    body: putDirectoryRowInput,
    bodyLimit: SEALED_BODY_LIMIT,
    reply: directoryVaultRow,
  }),
  deleteDirectoryRow: route({
    method: 'DELETE',
    path: '/api/account/directory/vaults/:vaultId',
    auth: { kind: 'full', bearerOnly: true },
    params: vaultIdParam,
    body: deleteDirectoryRowInput,
    reply: directoryVaultRow,
  }),
  putProfile: route({
    method: 'PUT',
    path: '/api/account/profiles/:computerId',
    auth: { kind: 'full', bearerOnly: true },
    params: computerIdParam,
    body: putProfileInput,
    bodyLimit: SEALED_BODY_LIMIT,
    reply: profileRow,
  }),
  deleteProfile: route({
    method: 'DELETE',
    path: '/api/account/profiles/:computerId',
    auth: { kind: 'full', bearerOnly: true },
    params: computerIdParam,
    body: deleteProfileInput,
    reply: profileRow,
  }),
};
