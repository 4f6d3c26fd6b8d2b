// A labelled text input of a form (the label wraps it, so a click on the text focuses the field),
// and the six-digit authenticator code field the sign-in and the TOTP enrolment share.
import type { InputHTMLAttributes } from 'react';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>;

export interface FieldProps extends InputProps {
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly testId: string;
}

export function Field({ label, value, onChange, testId, ...input }: FieldProps) {
  return (
    <label>
      {label}
      <input {...input} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />
    </label>
  );
}

/** Six digits from an authenticator app, offered as such to phones and password managers. */
export function CodeField(props: FieldProps) {
  return (
    <Field inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} {...props} />
  );
}
