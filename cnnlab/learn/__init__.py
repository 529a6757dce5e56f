"""Learn: guided lessons that drive the live app. `sandbox` (the convolution sandbox, NumPy), `lessons` (lesson
files as data), `checks` (has the learner done a step? answers computed from the learner's model), `progress`
(ticked steps kept in the data home). No Streamlit, no TensorFlow."""
