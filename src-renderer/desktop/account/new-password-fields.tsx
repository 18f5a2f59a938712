import { PasswordField } from '../../components/password-field';

/** "New password" and "Repeat new password", as every place that sets the account's password shows them. */
export function NewPasswordFields({
  ids,
  password,
  repeat,
  onPassword,
  onRepeat,
  disabled,
}: {
  ids: { password: string; repeat: string };
  password: string;
  repeat: string;
  onPassword(value: string): void;
  onRepeat(value: string): void;
  disabled?: boolean;
}) {
  return (
    <div className="field">
      <PasswordField
        id={ids.password}
        label="New password"
        autoComplete="new-password"
        value={password}
        onChange={onPassword}
        hint="At least 8 characters; a long phrase is easier to remember and harder to guess."
        disabled={disabled}
      />
      <PasswordField
        id={ids.repeat}
        label="Repeat new password"
        autoComplete="new-password"
        value={repeat}
        onChange={onRepeat}
        disabled={disabled}
      />
    </div>
  );
}
