namespace AdherencePipeline.Activity;

/// <summary>
/// A hidden Markov model over the activity classes whose transition probabilities are learnt from
/// labelled training sequences; window probabilities from the classifier act as emissions. Viterbi
/// gives the best label path of a whole sequence (offline evaluation, re-scoring); the forward filter
/// gives a causal estimate window by window (live). Immutable and thread-safe.
/// </summary>
public sealed class TemporalSmoother
{
    /// <summary>Pseudo-count added to every transition so that no change of activity is impossible.</summary>
    public const double PseudoCount = 1;

    private const double Floor = 1e-6;
    private readonly double[][] _logTransitions;

    /// <summary>Creates a smoother from a row-stochastic transition matrix (rows: from, columns: to).</summary>
    public TemporalSmoother(double[][] transitions)
    {
        ArgumentNullException.ThrowIfNull(transitions);
        var k = transitions.Length;
        if (k == 0 || transitions.Any(r => r is null || r.Length != k))
        {
            throw new ArgumentException("The transition matrix must be square and not empty.", nameof(transitions));
        }

        foreach (var row in transitions)
        {
            var sum = row.Sum();
            if (row.Any(p => !double.IsFinite(p) || p < 0) || Math.Abs(sum - 1) > 1e-6)
            {
                throw new ArgumentException("Each row of the transition matrix must hold probabilities summing to 1.", nameof(transitions));
            }
        }

        Transitions = [.. transitions.Select(r => (double[])r.Clone())];
        _logTransitions = [.. Transitions.Select(r => r.Select(p => Math.Log(Math.Max(p, Floor))).ToArray())];
    }

    /// <summary>The transition probabilities (rows: from, columns: to).</summary>
    public IReadOnlyList<double[]> Transitions { get; }

    /// <summary>Number of states (classes).</summary>
    public int Count => Transitions.Count;

    /// <summary>
    /// Learns the transitions from label sequences (each a subject's windows in time order), with
    /// <see cref="PseudoCount"/> added to every cell.
    /// </summary>
    public static TemporalSmoother Learn(IEnumerable<IReadOnlyList<ActivityClass>> sequences, int classes)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var counts = new double[classes][];
        for (var i = 0; i < classes; i++)
        {
            counts[i] = Enumerable.Repeat(PseudoCount, classes).ToArray();
        }

        foreach (var sequence in sequences)
        {
            for (var t = 1; t < sequence.Count; t++)
            {
                counts[(int)sequence[t - 1]][(int)sequence[t]]++;
            }
        }

        foreach (var row in counts)
        {
            var sum = row.Sum();
            for (var j = 0; j < row.Length; j++)
            {
                row[j] /= sum;
            }
        }

        return new TemporalSmoother(counts);
    }

    /// <summary>The most likely class path given each window's class probabilities (Viterbi).</summary>
    public int[] Viterbi(IReadOnlyList<float[]> probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var n = probabilities.Count;
        var k = Count;
        var path = new int[n];
        if (n == 0)
        {
            return path;
        }

        var back = new int[n][];
        var score = new double[k];
        var next = new double[k];
        for (var j = 0; j < k; j++)
        {
            score[j] = LogEmission(probabilities[0], j) - Math.Log(k);
        }

        for (var t = 1; t < n; t++)
        {
            back[t] = new int[k];
            for (var j = 0; j < k; j++)
            {
                var best = double.NegativeInfinity;
                var arg = 0;
                for (var i = 0; i < k; i++)
                {
                    var s = score[i] + _logTransitions[i][j];
                    if (s > best)
                    {
                        best = s;
                        arg = i;
                    }
                }

                next[j] = best + LogEmission(probabilities[t], j);
                back[t][j] = arg;
            }

            (score, next) = (next, score);
        }

        var last = 0;
        for (var j = 1; j < k; j++)
        {
            last = score[j] > score[last] ? j : last;
        }

        path[n - 1] = last;
        for (var t = n - 1; t > 0; t--)
        {
            path[t - 1] = back[t][path[t]];
        }

        return path;
    }

    /// <summary>
    /// One step of the forward filter: updates <paramref name="belief"/> (the class distribution after
    /// the previous window, or uniform at the start) with this window's probabilities, and returns
    /// the most likely class now.
    /// </summary>
    public int Filter(Span<double> belief, ReadOnlySpan<float> probabilities)
    {
        var k = Count;
        if (belief.Length != k || probabilities.Length != k)
        {
            throw new ArgumentException($"Belief and probabilities must hold {k} values.", nameof(belief));
        }

        Span<double> next = stackalloc double[k];
        var total = 0.0;
        for (var j = 0; j < k; j++)
        {
            var prior = 0.0;
            for (var i = 0; i < k; i++)
            {
                prior += belief[i] * Transitions[i][j];
            }

            next[j] = prior * Math.Max(probabilities[j], Floor);
            total += next[j];
        }

        var best = 0;
        for (var j = 0; j < k; j++)
        {
            belief[j] = total > 0 ? next[j] / total : 1.0 / k;
            best = belief[j] > belief[best] ? j : best;
        }

        return best;
    }

    /// <summary>The causal (forward-filtered) class of every window of a sequence.</summary>
    public int[] FilterAll(IReadOnlyList<float[]> probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var belief = Enumerable.Repeat(1.0 / Count, Count).ToArray();
        var labels = new int[probabilities.Count];
        for (var t = 0; t < labels.Length; t++)
        {
            labels[t] = Filter(belief, probabilities[t]);
        }

        return labels;
    }

    private static double LogEmission(float[] p, int j) => Math.Log(Math.Max(p[j], Floor));
}
