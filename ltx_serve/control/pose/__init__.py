"""DWPose whole-body pose control: YOLOX person boxes, RTMPose keypoints, OpenPose drawing."""
