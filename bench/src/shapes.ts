/** Which part of the bench a shape belongs to. */
export type ShapeGroup = 'grid' | 'ties' | 'sweep-classes' | 'sweep-targets';

/**
 * How the input values are drawn: uniform in [-2, 2) (every shape but the tie-heavy ones), all
 * equal (0.5), two values (0.25 or 0.75), or small integers (-3 to 3).
 */
export type ValueDistribution = 'uniform' | 'all-equal' | 'two-values' | 'small-integers';

/** One problem size: `N` samples of `C` classes, each with `J` distinct targets. */
export interface BenchShape {
  /** Stable id used by `--shapes` and in the JSON, e.g. `typical` or `sweep-classes-1024`. */
  readonly id: string;
  /** Human-readable label for tables and charts. */
  readonly label: string;
  /** The grid, or one of the two sweeps. */
  readonly group: ShapeGroup;
  /** N. */
  readonly batch: number;
  /** C. */
  readonly classes: number;
  /** J: targets per sample (distinct classes, then -1s). */
  readonly targets: number;
  /** How the input values are drawn. @default 'uniform' */
  readonly values?: ValueDistribution;
}

function gridShape(id: string, name: string, batch: number, classes: number, targets: number): BenchShape {
  return { id, label: `${name} (${batch}×${classes}, J=${targets})`, group: 'grid', batch, classes, targets };
}

/** The realistic shapes of issue 6, float32, each timed forward and forward+backward. */
export const GRID_SHAPES: readonly BenchShape[] = [
  gridShape('small', 'small', 32, 10, 2),
  gridShape('typical', 'typical', 1024, 1000, 5),
  gridShape('big-batch', 'big batch', 65536, 128, 3),
  gridShape('many-classes', 'many classes', 256, 10000, 50),
  gridShape('extreme', 'extreme multi-label', 16, 100000, 1000),
];

/** The tie-heavy shape: the many-classes grid shape (J > 8), whose inputs have many equal values. */
export const TIES_SHAPE = { batch: 256, classes: 10000, targets: 50 } as const;

/** Tie-heavy data (issue 16): the same shape with all-equal, two-valued and small-integer inputs. */
export const TIE_SHAPES: readonly BenchShape[] = (
  [
    ['ties-equal', 'all equal', 'all-equal'],
    ['ties-two-values', 'two values', 'two-values'],
    ['ties-small-integers', 'small integers', 'small-integers'],
  ] as const
).map(([id, name, values]) => ({
  id,
  label: `ties: ${name} (${TIES_SHAPE.batch}×${TIES_SHAPE.classes}, J=${TIES_SHAPE.targets})`,
  group: 'ties',
  ...TIES_SHAPE,
  values,
}));

/** Fixed sizes of the sweep of time against C. */
export const SWEEP_CLASSES = { batch: 64, targets: 4 } as const;
/** Fixed sizes of the sweep of time against J. */
export const SWEEP_TARGETS = { batch: 64, classes: 4096 } as const;

/** The C values of the classes sweep (full run, then `--quick`). */
export const SWEEP_CLASSES_VALUES = { full: [16, 128, 1024, 8192, 65536], quick: [16, 256, 4096] } as const;
/** The J values of the targets sweep (full run, then `--quick`). */
export const SWEEP_TARGETS_VALUES = { full: [1, 4, 16, 64, 256, 1024], quick: [1, 8, 64] } as const;

/** The shapes of the sweep of time against C at fixed N and J. */
export function sweepClassesShapes(quick: boolean): BenchShape[] {
  const { batch, targets } = SWEEP_CLASSES;
  return SWEEP_CLASSES_VALUES[quick ? 'quick' : 'full'].map((classes) => ({
    id: `sweep-classes-${classes}`,
    label: `C=${classes} (N=${batch}, J=${targets})`,
    group: 'sweep-classes',
    batch,
    classes,
    targets,
  }));
}

/** The shapes of the sweep of time against J at fixed N and C. */
export function sweepTargetsShapes(quick: boolean): BenchShape[] {
  const { batch, classes } = SWEEP_TARGETS;
  return SWEEP_TARGETS_VALUES[quick ? 'quick' : 'full'].map((targets) => ({
    id: `sweep-targets-${targets}`,
    label: `J=${targets} (N=${batch}, C=${classes})`,
    group: 'sweep-targets',
    batch,
    classes,
    targets,
  }));
}

/** What `--shapes` accepts: a grid shape id, `ties` (the three tie-heavy cases), or a whole sweep. */
export const SHAPE_SELECTORS = [
  ...GRID_SHAPES.map((s) => s.id),
  'ties',
  'sweep-classes',
  'sweep-targets',
] as const;

/** The selectors run when `--shapes` is not given. */
export function defaultShapeSelectors(quick: boolean): string[] {
  return quick ? ['small', 'typical', 'sweep-classes', 'sweep-targets'] : [...SHAPE_SELECTORS];
}

/** Grid shapes that also get float64 rows (on the backends and peers that have float64). */
export const FLOAT64_SHAPE_IDS: readonly string[] = ['small', 'typical'];

/**
 * Expands selectors into shapes, in the order of {@link SHAPE_SELECTORS}.
 * @throws {Error} for an unknown selector, naming the known ones.
 */
export function selectShapes(selectors: readonly string[], quick: boolean): BenchShape[] {
  for (const selector of selectors) {
    if (!(SHAPE_SELECTORS as readonly string[]).includes(selector)) {
      throw new Error(`unknown shape '${selector}' (known: ${SHAPE_SELECTORS.join(', ')})`);
    }
  }
  const chosen = new Set(selectors);
  return [
    ...GRID_SHAPES.filter((shape) => chosen.has(shape.id)),
    ...(chosen.has('ties') ? TIE_SHAPES : []),
    ...(chosen.has('sweep-classes') ? sweepClassesShapes(quick) : []),
    ...(chosen.has('sweep-targets') ? sweepTargetsShapes(quick) : []),
  ];
}
