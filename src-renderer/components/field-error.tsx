/** The id a field's error gets, so the field can name it in aria-describedby. */
export function fieldErrorId(fieldId: string): string {
  return `${fieldId}-error`;
}

/** What is wrong with one field, shown under it; nothing is rendered once it is fixed. */
export function FieldError({ fieldId, text }: { fieldId: string; text: string | undefined }) {
  if (!text) return null;
  return (
    <p className="sr-field-error" id={fieldErrorId(fieldId)}>
      {text}
    </p>
  );
}
