/** The migration engine's public surface. */
export { runTaskRound } from './round.ts'
export { compare, type Comparison } from './copy.ts'
export * from './types.ts'
export * from './destination.ts'
