/** Distinct identities across the events carrying a key in one window. */
export const hotCount = (identitySets: ReadonlyArray<readonly string[]>): number => {
  const distinct = new Set<string>();
  for (const identities of identitySets) for (const identity of identities) distinct.add(identity);
  return distinct.size;
};
