namespace AdherencePipeline.Activity;

/// <summary>Precision, recall, F1 and support of one class.</summary>
/// <param name="Precision">Correct among the windows predicted as the class (0 when none was).</param>
/// <param name="Recall">Correct among the windows of the class.</param>
/// <param name="F1">Harmonic mean of precision and recall.</param>
/// <param name="Support">Windows of the class in the data.</param>
public readonly record struct ClassScore(double Precision, double Recall, double F1, int Support);

/// <summary>
/// Scores of a set of predictions. Classes absent from the truth are left out of the averages and
/// of <see cref="PerClass"/>; the confusion matrix lists every class that occurs as truth or prediction.
/// </summary>
/// <param name="Accuracy">Share of windows predicted right.</param>
/// <param name="MacroF1">Mean F1 over the classes present in the truth.</param>
/// <param name="PerClass">Scores of each class present in the truth, in taxonomy order.</param>
/// <param name="ConfusionLabels">Row and column labels of <see cref="Confusion"/>.</param>
/// <param name="Confusion">Counts: row = truth, column = prediction.</param>
/// <param name="Windows">Windows scored.</param>
/// <param name="PerSubject">Accuracy of each subject, by subject.</param>
public sealed record ActivityMetrics(
    double Accuracy,
    double MacroF1,
    IReadOnlyDictionary<string, ClassScore> PerClass,
    IReadOnlyList<string> ConfusionLabels,
    int[][] Confusion,
    int Windows,
    IReadOnlyDictionary<string, double> PerSubject)
{
    /// <summary>Scores predictions against the truth; <paramref name="subjects"/> names each window's subject.</summary>
    public static ActivityMetrics Compute(IReadOnlyList<ActivityClass> truth, IReadOnlyList<ActivityClass> predicted, IReadOnlyList<string> subjects)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(subjects);
        if (truth.Count != predicted.Count || truth.Count != subjects.Count)
        {
            throw new ArgumentException("Truth, predictions and subjects must have one entry per window.", nameof(predicted));
        }

        var k = ActivityTaxonomy.Count;
        var full = new int[k, k];
        var subjectCounts = new SortedDictionary<string, (int Right, int All)>(StringComparer.Ordinal);
        var right = 0;
        for (var i = 0; i < truth.Count; i++)
        {
            full[(int)truth[i], (int)predicted[i]]++;
            var hit = truth[i] == predicted[i];
            right += hit ? 1 : 0;
            subjectCounts.TryGetValue(subjects[i], out var s);
            subjectCounts[subjects[i]] = (s.Right + (hit ? 1 : 0), s.All + 1);
        }

        var perClass = new Dictionary<string, ClassScore>();
        var present = new List<int>();
        var f1Sum = 0.0;
        for (var c = 0; c < k; c++)
        {
            int support = 0, predictedAs = 0;
            for (var j = 0; j < k; j++)
            {
                support += full[c, j];
                predictedAs += full[j, c];
            }

            if (support > 0 || predictedAs > 0)
            {
                present.Add(c);
            }

            if (support == 0)
            {
                continue;
            }

            var tp = full[c, c];
            var precision = predictedAs > 0 ? (double)tp / predictedAs : 0;
            var recall = (double)tp / support;
            var f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
            perClass[ActivityTaxonomy.Names[c]] = new ClassScore(precision, recall, f1, support);
            f1Sum += f1;
        }

        var confusion = new int[present.Count][];
        for (var r = 0; r < present.Count; r++)
        {
            confusion[r] = new int[present.Count];
            for (var c = 0; c < present.Count; c++)
            {
                confusion[r][c] = full[present[r], present[c]];
            }
        }

        return new ActivityMetrics(
            truth.Count > 0 ? (double)right / truth.Count : 0,
            perClass.Count > 0 ? f1Sum / perClass.Count : 0,
            perClass,
            [.. present.Select(c => ActivityTaxonomy.Names[c])],
            confusion,
            truth.Count,
            subjectCounts.ToDictionary(p => p.Key, p => (double)p.Value.Right / p.Value.All, StringComparer.Ordinal));
    }

    /// <summary>The largest off-diagonal cells, as (truth, predicted, windows), most frequent first.</summary>
    public IReadOnlyList<(string Truth, string Predicted, int Windows)> TopConfusions(int count)
    {
        var cells = new List<(string, string, int)>();
        for (var r = 0; r < ConfusionLabels.Count; r++)
        {
            for (var c = 0; c < ConfusionLabels.Count; c++)
            {
                if (r != c && Confusion[r][c] > 0)
                {
                    cells.Add((ConfusionLabels[r], ConfusionLabels[c], Confusion[r][c]));
                }
            }
        }

        return [.. cells.OrderByDescending(x => x.Item3).Take(count)];
    }
}
