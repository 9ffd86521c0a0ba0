namespace AdherencePipeline.Recordings;

/// <summary>How far a recording's acceleration in g can be trusted.</summary>
public enum AccelScale
{
    /// <summary>The source delivers calibrated physical units; converted to g exactly.</summary>
    Calibrated,

    /// <summary>
    /// The source delivers ADC counts without a published calibration; converted to g with a nominal
    /// zero point and gain. The calibration stage must fit a per-device offset and gain before any
    /// threshold in g (ENMO, cut-points) means anything.
    /// </summary>
    Nominal,
}
