/**
 * My Account → Password. The panel changes no password and shows no recovery kit: both re-wrap or
 * reveal the account's key, which only the Strongroom app touches (the panel's JavaScript comes
 * from the server's operator).
 */
export function PasswordSection() {
  return (
    <section className="panel-section" aria-labelledby="password-title">
      <h2 id="password-title">Password and recovery kit</h2>
      <p>Change your password in the Strongroom app (Account settings → Account → Change password).</p>
      <p>
        Forgot your password? Use “Forgot password?” on the Strongroom app’s unlock screen with your account
        recovery kit. The kit itself is made and shown in the Strongroom app too.
      </p>
    </section>
  );
}
