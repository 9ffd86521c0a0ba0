using AdherencePipeline.Activity;

namespace AdherencePipeline.Pipeline;

/// <summary>
/// Classifies the windows of a stream as plain code: the classifier's inputs are cut from each
/// window's features with <see cref="ActivityFeatures"/> (as in training), the model gives class
/// probabilities, the smoother's forward filter keeps one belief per participant and device. Windows
/// that are not complete are not classified. Not thread-safe: one instance per stream.
/// </summary>
public sealed class ActivityClassifier
{
    private readonly Func<ActivityModel> _model;
    private readonly Dictionary<(string Participant, string DeviceModel), (string Version, double[] Belief)> _beliefs = [];

    /// <summary>Creates a classifier that asks <paramref name="model"/> for the model to use at every window (so a swap takes effect at once).</summary>
    public ActivityClassifier(Func<ActivityModel> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
    }

    /// <summary>The activity of a window, or null when the window is incomplete (gap, partial coverage).</summary>
    public ActivityEvent? Classify(WindowEvent window)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (!window.Window.IsComplete)
        {
            return null;
        }

        var model = _model();
        Span<float> inputs = stackalloc float[ActivityFeatures.Count];
        ActivityFeatures.Select(window.Features, inputs);
        var probabilities = new float[ActivityTaxonomy.Count];
        model.Predict(inputs, probabilities);
        var key = (window.Participant, window.DeviceModel);
        if (!_beliefs.TryGetValue(key, out var state) || state.Version != model.Version)
        {
            // A new stream or a swapped model starts from no belief: the old one came from other scores.
            state = (model.Version, Enumerable.Repeat(1.0 / ActivityTaxonomy.Count, ActivityTaxonomy.Count).ToArray());
            _beliefs[key] = state;
        }

        var smoothed = model.Smoother.Filter(state.Belief, probabilities);
        return new ActivityEvent(
            window.Participant,
            window.DeviceModel,
            window.Window.StartNs,
            window.Window.EndNs,
            (ActivityClass)ActivityEvaluation.ArgMax(probabilities),
            probabilities,
            (ActivityClass)smoothed,
            ActivityIntensity.Of(window.Features),
            model.Version);
    }

    /// <summary>Forgets the belief of a participant's device, e.g. after a long gap.</summary>
    public void Reset(string participant, string deviceModel) => _beliefs.Remove((participant, deviceModel));
}
