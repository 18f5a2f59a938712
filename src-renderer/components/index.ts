/**
 * Components shared by the web control panel (src-renderer/panel) and the desktop app
 * (src-renderer/desktop). They receive data and callbacks only; none of them knows about fetch or
 * IPC. Their styles are in ./components.css (import it once from each page's entry).
 */
export type { ActionResult, Problem, RecoveryCodesData, TotpEnrolmentData } from './action-result';
export { problemFromThrown } from './action-result';
export { ConfirmDialog, type ConfirmDialogProps } from './confirm-dialog';
export { CopyButton, type CopyButtonProps } from './copy-button';
export { ErrorMessage, type ErrorMessageProps } from './error-message';
export { FieldError, fieldErrorId } from './field-error';
export { FormDialog, type FormDialogProps } from './form-dialog';
export { PasswordField, type PasswordFieldProps } from './password-field';
export { RecoveryCodesView, type RecoveryCodesViewProps } from './recovery-codes-view';
export { SecondFactorInput, type SecondFactorInputProps, type SecondFactorMode } from './second-factor-input';
export { groupKey, recoveryCodesFileName, recoveryCodesFileText, sanitizeTotpCode } from './secret-format';
export { TotpCodeInput, type TotpCodeInputProps } from './totp-code-input';
export { TotpEnrolment, type TotpEnrolmentProps } from './totp-enrolment';
export { useRetryCountdown } from './use-retry-countdown';
export { USERNAME_RULE, UsernameField, type UsernameFieldProps } from './username-field';
