using AdherencePipeline.Activity;

namespace AdherencePipeline.Pipeline;

/// <summary>The activity of one analysis window, as the live classify stage decides it.</summary>
/// <param name="Participant">The participant.</param>
/// <param name="DeviceModel">The firmware profile id of the device the window came from.</param>
/// <param name="StartNs">Window start, ns since the Unix epoch.</param>
/// <param name="EndNs">Window end (exclusive).</param>
/// <param name="Activity">The class the classifier gives the window alone.</param>
/// <param name="Probabilities">Class probabilities in <see cref="ActivityTaxonomy.Names"/> order.</param>
/// <param name="Smoothed">The class after the temporal smoother (forward filter over the participant's windows so far).</param>
/// <param name="Intensity">Light/moderate/vigorous and its source; null when the window has neither %HRR nor ENMO.</param>
/// <param name="ModelVersion">The model that classified the window.</param>
public sealed record ActivityEvent(
    string Participant,
    string DeviceModel,
    long StartNs,
    long EndNs,
    ActivityClass Activity,
    IReadOnlyList<float> Probabilities,
    ActivityClass Smoothed,
    WindowIntensity? Intensity,
    string ModelVersion) : PipelineEvent(Participant, DeviceModel);
