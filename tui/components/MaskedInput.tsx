// A one-line text field. With `mask` every character shows as •. The value lives only in this
// field's state while it is typed: Enter hands it to onSubmit and clears the field at once, so the
// caller holds it only for the duration of its call. Esc cancels. `accept` filters characters
// (digits only for a phone code); `maxLength` caps the value.
import { Box, Text, useInput } from 'ink';
import { useRef, useState } from 'react';

export interface MaskedInputProps {
  readonly label: string;
  readonly mask?: boolean;
  readonly maxLength?: number;
  readonly accept?: (ch: string) => boolean;
  readonly isActive?: boolean;
  readonly onSubmit: (value: string) => void;
  readonly onCancel?: () => void;
}

export function MaskedInput({
  label,
  mask = false,
  maxLength = 128,
  accept = () => true,
  isActive = true,
  onSubmit,
  onCancel,
}: MaskedInputProps) {
  // The ref is what Enter submits (keys may arrive faster than renders); the state draws it.
  const value = useRef('');
  const [length, setLength] = useState(0);
  const set = (v: string) => {
    value.current = v;
    setLength([...v].length);
  };
  useInput(
    (input, key) => {
      if (key.return) {
        const v = value.current;
        set('');
        if (v !== '') onSubmit(v);
        return;
      }
      if (key.escape) {
        set('');
        onCancel?.();
        return;
      }
      if (key.backspace || key.delete) return set([...value.current].slice(0, -1).join(''));
      if (key.ctrl && input === 'u') return set('');
      if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow) return;
      // A pasted chunk may end with its own Enter ("123456\r").
      const [text = '', ...rest] = input.split(/[\r\n]/);
      const typed = [...text].filter((ch) => ch >= ' ' && ch !== '\u007f' && accept(ch)).join('');
      if (typed) set([...(value.current + typed)].slice(0, maxLength).join(''));
      if (rest.length > 0) {
        const v = value.current;
        set('');
        if (v !== '') onSubmit(v);
      }
    },
    { isActive },
  );
  const shown = mask ? '•'.repeat(length) : value.current;
  return (
    <Box>
      <Text>{label}: </Text>
      <Text>{shown}</Text>
      {isActive ? <Text inverse> </Text> : null}
    </Box>
  );
}
