/** Prompt templates for zero-shot classification (`{}` is the label). */
export const SINGLE_TEMPLATE = ['a photo of a {}.'];

/** The 7-template ensemble the CLIP authors found best on ImageNet (their prompt-engineering notebook). */
export const ENSEMBLE_TEMPLATES = [
  'itap of a {}.',
  'a bad photo of the {}.',
  'a origami {}.',
  'a photo of the large {}.',
  'a {} in a video game.',
  'art of the {}.',
  'a photo of the small {}.',
];

export type Templates = 'none' | 'photo' | 'ensemble' | readonly string[];

/** The most templates a call takes: each label costs one text forward per template. */
export const MAX_TEMPLATES = 256;

/** The templates a (checked: options.ts checkTemplates) choice names; null for the label as is. */
export function templatesFor(t: Templates): readonly string[] | null {
  if (t === 'none') return null;
  if (t === 'photo') return SINGLE_TEMPLATE;
  if (t === 'ensemble') return ENSEMBLE_TEMPLATES;
  return t;
}
