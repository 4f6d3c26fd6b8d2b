// One filter of a list: a labelled select whose first option means "any".
import { useId } from 'react';

export function SelectFilter<V extends string>({
  label,
  value,
  options,
  onChange,
  testId,
}: {
  readonly label: string;
  readonly value: V | '';
  readonly options: readonly (readonly [V, string])[];
  readonly onChange: (value: V | '') => void;
  readonly testId?: string;
}) {
  const id = useId();
  return (
    <span className="filter">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as V | '')} data-testid={testId}>
        <option value="">any</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </span>
  );
}
