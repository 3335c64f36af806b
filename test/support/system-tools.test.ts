import { describe, expect, it } from 'vitest'
import { findProgram } from './system-tools.ts'

describe('findProgram', () => {
  it('finds a program on PATH and says null for one that is nowhere', () => {
    expect(findProgram('node')).toMatch(/\/node$/)
    expect(findProgram('mmesh-no-such-program')).toBeNull()
  })
})
