using AdherencePipeline.Recordings;
using AdherencePipeline.Signal;

namespace AdherencePipeline.Activity;

/// <summary>One labelled analysis window: who, where in the recording, the class, and the classifier's inputs.</summary>
/// <param name="Subject">The subject, as <c>source/subject</c>; cross-validation folds are cut by it.</param>
/// <param name="Recording">The recording the window comes from (<see cref="Recording.ToString"/>).</param>
/// <param name="StartNs">Window start, ns since the recording start.</param>
/// <param name="Label">The class every sample of the window shares.</param>
/// <param name="Features">The classifier's inputs (<see cref="ActivityFeatures.Names"/>).</param>
public sealed record LabelledWindow(string Subject, string Recording, long StartNs, ActivityClass Label, float[] Features);

/// <summary>
/// Cuts labelled recordings into windows with the pipeline's own signal and feature code, and keeps
/// a window only when it is complete and every source sample in it maps to one and the same class:
/// block boundaries, mixed or unknown labels and gaps are left out.
/// </summary>
public static class WindowLabeller
{
    /// <summary>The labelled windows of <paramref name="recording"/>, in time order. Unlabelled recordings give none.</summary>
    public static IReadOnlyList<LabelledWindow> Label(Recording recording, SignalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(recording);
        var acc = recording.Accelerometer;
        if (!acc.HasLabels || !ActivityTaxonomy.IsLabelledSource(recording.Source))
        {
            return [];
        }

        options ??= new SignalOptions();
        var processor = new AccelerationProcessor(recording.NominalSampleRateHz, options);
        var windows = new List<AccelerationWindow>();
        var gaps = new List<SignalGap>();
        processor.Process(acc.TimestampNs.Span, acc.XG.Span, acc.YG.Span, acc.ZG.Span, windows, gaps);
        processor.Complete(windows);

        var extractor = new WindowFeatures(options.AnalysisRateHz);
        var all = new float[WindowFeatures.Count];
        var subject = recording.Source + "/" + recording.SubjectId;
        var name = recording.ToString();
        var labelled = new List<LabelledWindow>(windows.Count);
        foreach (var window in windows)
        {
            if (!window.IsComplete || CommonLabel(recording, window.StartNs, window.EndNs) is not { } label)
            {
                continue;
            }

            extractor.Extract(window, [], null, all);
            labelled.Add(new LabelledWindow(subject, name, window.StartNs, label, ActivityFeatures.Select(all)));
        }

        return labelled;
    }

    /// <summary>The labelled windows of many recordings, in the order given.</summary>
    public static IReadOnlyList<LabelledWindow> Label(IEnumerable<Recording> recordings, SignalOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(recordings);
        var all = new List<LabelledWindow>();
        foreach (var recording in recordings)
        {
            all.AddRange(Label(recording, options));
        }

        return all;
    }

    /// <summary>The class all source samples in [<paramref name="startNs"/>, <paramref name="endNs"/>) share, or null.</summary>
    internal static ActivityClass? CommonLabel(Recording recording, long startNs, long endNs)
    {
        var t = recording.Accelerometer.TimestampNs.Span;
        var labels = recording.Accelerometer.Labels.Span;
        var from = LowerBound(t, startNs);
        var to = LowerBound(t, endNs);
        if (to <= from)
        {
            return null;
        }

        var first = labels[from];
        for (var i = from + 1; i < to; i++)
        {
            if (labels[i] != first)
            {
                return null;
            }
        }

        return ActivityTaxonomy.Map(recording.Source, first);
    }

    private static int LowerBound(ReadOnlySpan<long> sorted, long value)
    {
        var index = sorted.BinarySearch(value);
        return index >= 0 ? index : ~index;
    }
}
