export { niceNumber, niceTicks, logTicks, linearScale, logScale, type Scale } from './scale';
export { OKABE_ITO, escapeXml, type Margin, type PlotOptions, type XYPlotOptions } from './svg';
export {
  linePlot, lossCurves, scatterPlot, barPlot, histogramPlot, heatmapPlot, confusionMatrixPlot, rocPlot, prPlot,
  type Series, type HistoryLike, type LossCurvesOptions, type ScatterPlotOptions, type BarData, type BarPlotOptions,
  type HistogramPlotOptions, type HeatmapPlotOptions, type ConfusionMatrixPlotOptions, type Curves,
} from './charts';
export {
  imageGrid, boxesPlot, type ImageLike, type ImageValueOptions, type ImageGridOptions, type BoxesPlotOptions,
} from './images';
